"""Secure messages in the schema: types (threads, messages, attachments), lists (viewer.messages and the
support desk's part), mutations, loaders, and the attachment download route."""
