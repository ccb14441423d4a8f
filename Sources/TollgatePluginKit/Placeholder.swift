enum TollgatePluginKitPlaceholder {}
