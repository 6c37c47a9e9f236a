using StreamLstm.Worker.Verbs;

return CommandLine.Run(args);
