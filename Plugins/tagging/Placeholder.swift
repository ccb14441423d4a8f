// Placeholder until the tagging plugin lands.
enum TaggingPluginPlaceholder {}
