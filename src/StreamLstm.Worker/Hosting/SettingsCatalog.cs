using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using StreamLstm.Inference;
using StreamLstm.Ingest;
using StreamLstm.Learning;
using StreamLstm.Model;
using StreamLstm.Sink;
using StreamLstm.State;
using StreamLstm.Ticks;

namespace StreamLstm.Worker.Hosting;

/// <summary>
/// The settings the product knows: every key of the configuration sections it owns, read by reflection from the classes
/// bound to them, so a misspelt key is refused instead of silently leaving its default in place. Sections the product
/// does not own (<c>Logging</c>, anything else) are not checked.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>
    /// Each owned section and the classes bound to it (a section added later is one line here): the worker binds and
    /// validates exactly these (<see cref="WorkerServices"/>), and their properties are the known keys.
    /// </summary>
    public static readonly (string Section, Type[] BoundTo)[] Owned =
    [
        ("Model", [typeof(ModelSettings), typeof(ModelStoreOptions)]),
        ("Training", [typeof(TrainingSettings)]),
        ("Serving", [typeof(ServingSettings)]),
        ("Learning", [typeof(LearningSettings)]),
        ("History", [typeof(HistorySettings)]),
        ("Kafka", [typeof(KafkaOptions)]),
        ("Influx", [typeof(InfluxOptions)]),
        ("Ticks", [typeof(TickSettings)]),
        ("Sink", [typeof(OutputSettings)]),
        ("State", [typeof(StateSettings)]),
        ("Http", [typeof(HttpOptions)]),
    ];

    /// <summary>Every known key (<c>Section:Name</c>), in declaration order, and whether any child key under it is fine.</summary>
    private static readonly List<(string Key, bool Open)> Known = Owned
        .SelectMany(o => o.BoundTo.SelectMany(type => KeysOf(type, o.Section)))
        .DistinctBy(k => k.Key, StringComparer.OrdinalIgnoreCase)
        .ToList();

    /// <summary>
    /// The first key (in key order) of an owned section that no bound class has, as a sentence naming it and the nearest
    /// known key when one is close; null when every key is known.
    /// </summary>
    public static string? FindUnknown(IConfiguration configuration)
    {
        // Keys without a value are the configuration's inner nodes (or empty JSON objects): they set nothing.
        var unknown = configuration.AsEnumerable()
            .Where(pair => pair.Value is not null && SectionOf(pair.Key) is not null && !IsKnown(pair.Key))
            .Select(pair => pair.Key)
            .Order(StringComparer.OrdinalIgnoreCase)
            .FirstOrDefault();
        if (unknown is null) return null;
        return Suggest(unknown) is { } suggestion
            ? $"unknown setting {unknown} (did you mean {suggestion}?)"
            : $"unknown setting {unknown}";
    }

    /// <summary>
    /// The known keys close to <paramref name="key"/>, as <c>A</c> or <c>A or B</c>; null when none is close. The same
    /// name in another owned section (<c>Model:MaxSymbols</c> for <c>Serving:MaxSymbols</c>) comes first, as a likelier
    /// slip than a near spelling; then the nearest key of its own section, within an edit distance of 2 or a third of
    /// the length, whichever is larger. Under a pass-through key the child is kept (<c>Kafka:Producer:acks</c>).
    /// </summary>
    public static string? Suggest(string key)
    {
        var section = SectionOf(key);
        if (section is null) return null;
        var name = NameOf(key);
        var fits = Known.Select(k => (Same: SectionOf(k.Key) == section, Fit: Fit(name, k))).ToList();
        var nearest = fits.Where(f => f.Same).Select(f => f.Fit).OrderBy(f => f.Distance).FirstOrDefault();
        // Exact but for what follows it (Model:HiddenSize:X): the key itself.
        if (nearest.Distance == 0) return nearest.Suggestion;

        var elsewhere = fits.Where(f => !f.Same && f.Fit.Distance == 0).Select(f => f.Fit.Suggestion).ToList();
        if (elsewhere.Count > 0) return string.Join(" or ", elsewhere);
        return nearest.Distance <= Math.Max(2, nearest.Length / 3) ? nearest.Suggestion : null;
    }

    /// <summary>The keys of <paramref name="section"/> given a value in <paramref name="configuration"/> (not defaults), compared case-insensitively.</summary>
    public static IReadOnlySet<string> GivenKeys(IConfiguration configuration, string section) =>
        configuration.GetSection(section).GetChildren()
            .Where(child => child.Value is not null)
            .Select(child => child.Key)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Levenshtein distance, ignoring case. Hand-written: the few lines are simpler than a dependency, and no
    /// well-kept library offers just this.
    /// </summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>The owned section <paramref name="key"/> is in (its spelling here), or null when the product does not own it.</summary>
    private static string? SectionOf(string key)
    {
        int colon = key.IndexOf(':', StringComparison.Ordinal);
        // A value on a section itself (an environment variable MODEL=...) is no key of it: the binder ignores it.
        if (colon < 0) return null;
        var section = key[..colon];
        return Owned.Select(o => o.Section).FirstOrDefault(s => s.Equals(section, StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsKnown(string key) => Known.Any(k =>
        k.Key.Equals(key, StringComparison.OrdinalIgnoreCase)
        || (k.Open && key.StartsWith(k.Key + ":", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// How far the leading segments of <paramref name="name"/> (as many as the known key's name has) are from the known
    /// name, their length, and the key to suggest: the known one, with the rest of the name when it takes any child.
    /// </summary>
    private static (string Suggestion, int Distance, int Length) Fit(string name, (string Key, bool Open) known)
    {
        var knownName = NameOf(known.Key);
        int end = -1;
        for (int segments = knownName.Count(c => c == ':') + 1; segments > 0 && end < name.Length; segments--)
        {
            end = name.IndexOf(':', end + 1);
            if (end < 0) end = name.Length;
        }
        var head = name[..end];
        var rest = known.Open ? name[end..] : "";
        return (known.Key + rest, EditDistance(head, knownName), head.Length);
    }

    private static string NameOf(string key) => key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];

    /// <summary>
    /// The keys a class binds: its public settable (or init) properties. Computed read-only ones are not keys. A value
    /// type (what the binder converts from a string) is a key with no children; a dictionary or list takes any child
    /// key (the Kafka pass-through properties); another class contributes its own keys under the property's.
    /// </summary>
    private static IEnumerable<(string Key, bool Open)> KeysOf(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0) continue;
            var key = $"{prefix}:{property.Name}";
            var valueType = property.PropertyType;
            if (TypeDescriptor.GetConverter(valueType).CanConvertFrom(typeof(string)))
            {
                yield return (key, false);
            }
            else if (typeof(IEnumerable).IsAssignableFrom(valueType))
            {
                yield return (key, true);
            }
            else
            {
                yield return (key, false);
                foreach (var inner in KeysOf(valueType, key)) yield return inner;
            }
        }
    }
}
