// Placeholder until the anomaly plugin lands.
enum AnomalyPluginPlaceholder {}
