// Placeholder until the routing plugin lands.
enum RoutingPluginPlaceholder {}
