"""Secure messages between a customer and support (issue 9, items 6 and 8): who sees what
(visibility), writing messages (posting), attachments, reading and support's actions on threads
(threads), the lists (queue), and the audit of staff actions (staff_actions)."""
