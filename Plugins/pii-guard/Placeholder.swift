// Placeholder until the pii-guard plugin lands.
enum PIIGuardPluginPlaceholder {}
