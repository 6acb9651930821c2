"""What a person retains: the settlement record, voluntary paid withdrawal, the migrant's view."""
