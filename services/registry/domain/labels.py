"""The Chinese words offices write in their lists, for each coded value of the catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from services.registry.domain.records import Binding, Category, Scenario
from services.registry.domain.text import normalize_text
from shared.catalogue import SubjectType

CATEGORY_LABELS: dict[str, str] = {
    Category.administrative: "行政性",
    Category.market: "市场性",
    Category.industry: "行业性",
    Category.social: "社会性",
    Category.administrative_facilitation: "行政便利",
    Category.market_incentive: "市场激励",
    Category.honour_publicity: "表彰宣传",
    Category.financial_support: "金融支持",
}
BINDING_LABELS: dict[str, str] = {Binding.binding: "应当", Binding.discretionary: "可以"}
BINDING_ALIASES: dict[str, str] = {
    "必须": Binding.binding,
    "约束性": Binding.binding,
    "强制": Binding.binding,
    "参考": Binding.discretionary,
    "参考性": Binding.discretionary,
    "可选": Binding.discretionary,
}
SUBJECT_TYPE_LABELS: dict[str, str] = {
    SubjectType.organisation: "法人和其他组织",
    SubjectType.person: "自然人",
    SubjectType.legal_representative: "法定代表人",
    SubjectType.principal: "主要负责人",
    SubjectType.directly_responsible: "直接责任人",
}
SUBJECT_TYPE_ALIASES: dict[str, str] = {
    "法人": SubjectType.organisation,
    "组织": SubjectType.organisation,
    "企业": SubjectType.organisation,
    "单位": SubjectType.organisation,
    "个人": SubjectType.person,
}
SCENARIO_LABELS: dict[str, str] = {
    Scenario.administrative_approval: "行政审批",
    Scenario.bidding: "招标投标",
    Scenario.government_procurement: "政府采购",
    Scenario.fiscal_funds: "财政资金",
    Scenario.honours: "评先评优",
    Scenario.daily_inspection: "日常检查",
    Scenario.financing_credit: "融资信贷",
    Scenario.travel_consumption: "出境与高消费",
    Scenario.licensing: "行政许可",
    Scenario.employment: "招录任职",
    Scenario.market_access: "市场准入",
    Scenario.public_resource_trading: "公共资源交易",
}
YES, NO = "是", "否"
BOOLEAN_WORDS: dict[str, bool] = {
    YES: True,
    "启用": True,
    "true": True,
    "1": True,
    NO: False,
    "停用": False,
    "false": False,
    "0": False,
}


class Vocabulary:
    """Reads a cell as a code: the label, an alias, or the code itself."""

    def __init__(self, labels: Mapping[str, str], aliases: Mapping[str, str] | None = None) -> None:
        self.labels = {str(code): label for code, label in labels.items()}
        self._codes: dict[str, str] = {}
        for code, label in self.labels.items():
            self._codes[code.lower()] = code
            self._codes[normalize_text(label)] = code
        for alias, code in (aliases or {}).items():
            self._codes[normalize_text(alias)] = str(code)

    def code(self, text: str) -> str | None:
        cleaned = normalize_text(text)
        return self._codes.get(cleaned) or self._codes.get(cleaned.lower())

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def choices(self) -> str:
        return "、".join(self.labels.values())


CATEGORIES = Vocabulary(CATEGORY_LABELS)
BINDINGS = Vocabulary(BINDING_LABELS, BINDING_ALIASES)
SUBJECT_TYPES = Vocabulary(SUBJECT_TYPE_LABELS, SUBJECT_TYPE_ALIASES)
SCENARIOS = Vocabulary(SCENARIO_LABELS)
