"""The notifier: partners' request events in, mails and webhooks to their coordinators out (see README.md)."""
