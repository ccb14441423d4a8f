// Placeholder until the budget plugin lands.
enum BudgetPluginPlaceholder {}
