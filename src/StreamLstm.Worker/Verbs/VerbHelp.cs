using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;

namespace StreamLstm.Worker.Verbs;

/// <summary>
/// <c>--help</c> of every verb: System.CommandLine's (its layout cannot be customized from outside the library), with
/// what it calls "additional arguments", the tokens a verb does not know, shown as what they become:
/// <c>--Section:Key=value</c> settings.
/// </summary>
public sealed partial class VerbHelp(HelpAction standard) : SynchronousCommandLineAction
{
    public const string SettingsUsage = "[--Section:Key=value ...]";

    public const string SettingsSection =
        "Settings:\n  --Section:Key=value  any configuration key (README, Configuration), e.g. --Kafka:BootstrapServers=localhost:9092; " +
        "also read from appsettings.json beside the executable and from environment variables (Kafka__BootstrapServers)\n";

    /// <summary>As the standard help: <c>--help</c> wins over missing required options.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        using var help = new StringWriter();
        configuration.Output = help;
        try
        {
            standard.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }
        output.Write(Rewrite(help.ToString()));
        return 0;
    }

    /// <summary>The standard help text with the settings in place of the additional arguments (unchanged where its wording differs: another culture).</summary>
    public static string Rewrite(string help) =>
        AdditionalArguments().Replace(help.Replace("[[--] <additional arguments>...]]", SettingsUsage, StringComparison.Ordinal),
            SettingsSection.Replace("\n", Environment.NewLine, StringComparison.Ordinal));

    [GeneratedRegex(@"Additional Arguments:\r?\n  Arguments passed to the application that is being run\.\r?\n")]
    private static partial Regex AdditionalArguments();
}
