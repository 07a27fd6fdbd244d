"""The demo scenario `jointcredit up` runs, and the 跟踪问效 report it prints."""
