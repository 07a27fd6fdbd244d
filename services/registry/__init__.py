"""The registry service: departments, the measure catalogue (联合奖惩目录清单) and department credentials."""
