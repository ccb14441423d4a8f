enum TollgatePluginTestingPlaceholder {}
