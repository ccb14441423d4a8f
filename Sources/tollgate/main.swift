TollgateCommand.main()
