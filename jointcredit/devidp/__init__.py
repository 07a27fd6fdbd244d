"""A development OpenID Connect identity provider: ID tokens for any subject, no login.

It stands in for the credit portal's identity check in `jointcredit up`, the demo and manual
tests, and refuses to start when ENVIRONMENT=production.
"""
