using StreamLstm.Worker.Verbs;

namespace StreamLstm.Tests.Verbs;

public class VerbHelpTests
{
    public static TheoryData<string[]> Verbs() =>
    [
        [], ["run"], ["replay"], ["train"], ["backtest"], ["demo"], ["health"], ["models", "list"], ["models", "promote"],
        ["models", "rollback"], ["history", "list"], ["history", "drop"], ["state", "list"], ["state", "drop"],
    ];

    private static string Help(params string[] verb)
    {
        var help = VerbTests.Run([.. verb, "--help"]);
        Assert.True(help.Code == 0, help.Error);
        Assert.Equal("", help.Error);
        return help.Out;
    }

    private static string OptionLine(string help, string option) =>
        Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Every_verbs_help_shows_the_settings_it_takes_instead_of_additional_arguments(string[] verb)
    {
        var help = Help(verb);
        var lines = help.Split('\n').Select(l => l.TrimEnd()).ToList();
        var usage = lines[lines.IndexOf("Usage:") + 1];
        Assert.Contains(string.Join(" ", verb), usage);
        Assert.EndsWith($"[options] {VerbHelp.SettingsUsage}", usage);
        Assert.Contains("Settings:", help);
        Assert.Contains("--Section:Key=value  any configuration key", help);
        Assert.DoesNotContain("additional arguments", help, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Run_help_says_how_settings_are_given_and_that_the_brokers_are_required()
    {
        var help = Help("run");
        Assert.Contains("Kafka:BootstrapServers is required", help);
        Assert.Contains("--Section:Key=value", help);
        Assert.Contains("Kafka__BootstrapServers", help);
        Assert.Contains("With no command it runs the worker", Help());
    }

    [Fact]
    public void Replay_help_shows_the_topic_as_optional_with_its_default()
    {
        var help = Help("replay");
        Assert.DoesNotContain("(REQUIRED)", OptionLine(help, "--topic"));
        Assert.EndsWith("[default: ticks]", OptionLine(help, "--topic").TrimEnd());
        Assert.Contains("--data <CSV> (REQUIRED)", OptionLine(help, "--data"));
        Assert.Contains("--bootstrap <SERVERS> (REQUIRED)", OptionLine(help, "--bootstrap"));
        Assert.DoesNotContain("(REQUIRED)", OptionLine(help, "--rate"));
    }

    [Fact]
    public void Help_names_option_values_as_the_readme_does_and_states_the_defaults_the_code_applies()
    {
        Assert.Contains("--out <STORE>", OptionLine(Help("train"), "--out"));
        Assert.DoesNotContain("(REQUIRED)", OptionLine(Help("train"), "--out"));
        var backtest = Help("backtest");
        Assert.Contains("--out <DIR> (REQUIRED)", OptionLine(backtest, "--out"));
        Assert.Contains("[default: 1]", OptionLine(backtest, "--horizon"));
        Assert.Contains("[default: 0.7]", OptionLine(backtest, "--train-fraction"));
        Assert.Contains("at least 10", OptionLine(Help("demo"), "--seconds"));
        Assert.Contains("--model-dir <STORE>", OptionLine(Help("models", "promote"), "--model-dir"));
    }

    [Fact]
    public void The_standard_text_is_rewritten_only_where_it_reads_as_expected()
    {
        var nl = Environment.NewLine;
        var standard = $"Usage:{nl}  streamlstm run [options] [[--] <additional arguments>...]]{nl}{nl}Additional Arguments:{nl}  Arguments passed to the application that is being run.{nl}";
        Assert.Equal($"Usage:{nl}  streamlstm run [options] {VerbHelp.SettingsUsage}{nl}{nl}{VerbHelp.SettingsSection.Replace("\n", nl)}", VerbHelp.Rewrite(standard));
        Assert.Equal("Zusätzliche Argumente: ...", VerbHelp.Rewrite("Zusätzliche Argumente: ..."));
    }
}
