// Placeholder until the ratelimit plugin lands.
enum RateLimitPluginPlaceholder {}
