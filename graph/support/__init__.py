"""The support desk's part of the schema: finding and verifying customers, cases, corrections and
secure messages. Thin: the rules live in resolvers/support/ and resolvers/messages/."""
