enum TollgateCorePlaceholder {}
