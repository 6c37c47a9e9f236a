using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using StreamLstm.Model;

namespace StreamLstm.Worker.Verbs;

/// <summary>The verbs of the <c>streamlstm</c> executable. Errors a user can fix print one line and exit 2.</summary>
public static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("StreamLstm: real-time LSTM forecasts for live market feeds. With no command it runs the worker, as 'run' does.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var help = root.Options.OfType<System.CommandLine.Help.HelpOption>().Single();
        help.Action = new VerbHelp((System.CommandLine.Help.HelpAction)help.Action!);
        root.SetAction(parse => RunVerb.Run(parse.UnmatchedTokens));
        root.Subcommands.Add(RunVerb.Create());
        root.Subcommands.Add(ReplayVerb.Create());
        root.Subcommands.Add(TrainVerb.Create());
        root.Subcommands.Add(ModelsVerb.Create());
        root.Subcommands.Add(HistoryVerb.Create());
        root.Subcommands.Add(StateVerb.Create());
        root.Subcommands.Add(BacktestVerb.Create());
        root.Subcommands.Add(DemoVerb.Create());
        root.Subcommands.Add(HealthVerb.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"error: {parsed.Errors[0].Message}");
            return 2;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (UserError(ex) is { } message)
        {
            Console.Error.WriteLine($"error: {message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    /// <summary>A command with the given options whose unknown <c>--Section:Key=value</c> tokens become settings.</summary>
    internal static Command Verb(string name, string description)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        return command;
    }

    private static string? UserError(Exception ex) => ex switch
    {
        CliException or ModelStoreException or ValidationException => ex.Message,
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException => ex.Message,
        IOException => ex.Message,
        ArgumentOutOfRangeException a => a.Message.Split(" (Parameter")[0],
        InvalidOperationException when ex.Source?.StartsWith("StreamLstm", StringComparison.Ordinal) == true => ex.Message,
        Confluent.Kafka.KafkaException kafka => $"Kafka: {kafka.Error.Reason}",
        TimeoutException => ex.Message,
        AggregateException { InnerException: Confluent.Kafka.KafkaException kafka } => $"Kafka: {kafka.Error.Reason}",
        _ => null,
    };
}
