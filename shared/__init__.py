"""The project's own infrastructure library: events, delivery, persistence, web and identifiers.

It holds no business rule of any one service.
"""
