enum TollgateSQLitePlaceholder {}
