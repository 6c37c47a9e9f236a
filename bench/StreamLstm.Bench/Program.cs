using StreamLstm.Bench;

return Suites.Run(args);
