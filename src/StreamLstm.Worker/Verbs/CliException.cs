namespace StreamLstm.Worker.Verbs;

/// <summary>A problem the user can fix (an option, a file, a setting); printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
