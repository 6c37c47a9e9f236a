using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using StreamLstm.Ticks;

namespace StreamLstm.Tests.Build;

/// <summary>
/// The namespaces (folders) of StreamLstm.Core form a DAG, layered lowest first: Ticks, Telemetry, Features, Ingest,
/// Sink, Model, Inference, Evaluation, Learning, State, Pipeline. The graph is the union of what reflection sees in the
/// assembly (base types, interfaces, fields, properties, events, method and constructor signatures, including those of
/// compiler-generated closures and state machines) and what the source files under src/StreamLstm.Core say
/// (<c>using StreamLstm.X;</c> directives and qualified <c>X.Type</c> / <c>StreamLstm.X.Type</c> references, comments
/// and string literals left out), since reflection alone does not see method bodies.
/// </summary>
public partial class NamespaceLayeringTests
{
    private const string Prefix = "StreamLstm.";
    private const string Root = "StreamLstm";

    /// <summary>The intended layering, lowest first: a namespace may use only namespaces of a lower rank.</summary>
    private static readonly Dictionary<string, int> Rank = new(StringComparer.Ordinal)
    {
        [Root] = 0, ["Ticks"] = 0, ["Telemetry"] = 0, ["Features"] = 1, ["Ingest"] = 1, ["Sink"] = 2,
        ["Model"] = 3, ["Inference"] = 4, ["Evaluation"] = 5, ["Learning"] = 6, ["State"] = 7, ["Pipeline"] = 8,
    };

    private static readonly Assembly Core = typeof(Tick).Assembly;

    [Fact]
    public void The_namespace_graph_of_core_has_no_cycle()
    {
        var graph = Graph();
        var cycles = Cycles(graph);
        Assert.True(cycles.Count == 0, Describe("namespace cycles in StreamLstm.Core", cycles, graph));
    }

    [Fact]
    public void Every_namespace_of_core_uses_only_lower_layers()
    {
        var graph = Graph();
        Assert.DoesNotContain(graph.Keys.Select(e => e.From).Concat(graph.Keys.Select(e => e.To)), n => !Rank.ContainsKey(n));
        var upward = graph.Keys.Where(e => Rank[e.To] >= Rank[e.From]).Select(e => new List<string> { e.From, e.To }).ToList();
        Assert.True(upward.Count == 0, Describe("references that do not go to a lower layer", upward, graph));
    }

    [Fact]
    public void The_scan_sees_using_directives_qualified_names_and_signatures()
    {
        var graph = Graph();
        // Sanity: the graph is not empty because the source or the reflection went missing.
        Assert.Contains(graph, e => e.Key.From == "Pipeline" && e.Key.To == "Ingest" && e.Value.Any(w => w.Contains("using", StringComparison.Ordinal)));
        Assert.Contains(graph, e => e.Key.From == "Ingest" && e.Key.To == "Ticks" && e.Value.Any(w => w.Contains("(signature)", StringComparison.Ordinal)));
        Assert.True(SourceFiles().Count() > 50);
    }

    /// <summary>Edges between namespaces (last segment; <c>StreamLstm</c> for the root), each with what causes it.</summary>
    private static Dictionary<(string From, string To), SortedSet<string>> Graph()
    {
        var graph = new Dictionary<(string, string), SortedSet<string>>();
        void Add(string from, string to, string why)
        {
            if (from == to) return;
            if (!graph.TryGetValue((from, to), out var whys)) graph[(from, to)] = whys = new SortedSet<string>(StringComparer.Ordinal);
            whys.Add(why);
        }

        var types = Core.GetTypes().Where(t => Layer(t) is not null).ToList();
        foreach (var type in types)
        {
            foreach (var (member, used) in Signatures(type))
            {
                foreach (var target in Expand(used))
                {
                    if (Layer(target) is { } to) Add(Layer(type)!, to, $"{Name(Declared(type))}.{Member(member)} (signature): {Name(Declared(target))}");
                }
            }
        }

        // Top-level type names per namespace, to tell Model.ModelVersion (a type) from Model.Id (a property named Model).
        var named = types.Where(t => !t.IsNested && !t.IsDefined(typeof(CompilerGeneratedAttribute)))
            .GroupBy(t => Layer(t)!)
            .ToDictionary(g => g.Key, g => g.Select(t => t.Name.Split('`')[0]).ToHashSet(StringComparer.Ordinal));
        var qualified = new Regex(@"(?<![\w.])(?:global::)?(?:StreamLstm\.)?(" + string.Join('|', named.Keys.Where(n => n != Root)) + @")\.([A-Z]\w*)");
        foreach (var file in SourceFiles())
        {
            var text = Code(File.ReadAllText(file));
            var name = Path.GetFileName(file);
            var from = FileNamespace().Match(text) is { Success: true } m ? LayerOf(m.Groups[1].Value) : Root;
            if (from is null) continue;
            foreach (Match u in UsingDirective().Matches(text))
            {
                if (named.ContainsKey(u.Groups[1].Value)) Add(from, u.Groups[1].Value, $"{name}: using StreamLstm.{u.Groups[1].Value}");
            }
            foreach (Match q in qualified.Matches(text))
            {
                if (named[q.Groups[1].Value].Contains(q.Groups[2].Value)) Add(from, q.Groups[1].Value, $"{name}: {q.Groups[1].Value}.{q.Groups[2].Value}");
            }
            // The root namespace's types are in scope everywhere without a using.
            foreach (var rootType in named.GetValueOrDefault(Root) ?? [])
            {
                if (Regex.IsMatch(text, @"(?<![\w.])" + rootType + @"\b")) Add(from, Root, $"{name}: {rootType}");
            }
        }
        return graph;
    }

    /// <summary>The cycles of the graph, each once, as the list of namespaces along it (the first repeated at the end).</summary>
    private static List<List<string>> Cycles(Dictionary<(string From, string To), SortedSet<string>> graph)
    {
        var next = graph.Keys.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<List<string>>();
        foreach (var (from, to) in graph.Keys.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal))
        {
            // Shortest way back from 'to' to 'from', breadth first.
            var back = new Dictionary<string, string>(StringComparer.Ordinal) { [to] = to };
            var queue = new Queue<string>([to]);
            while (queue.Count > 0 && !back.ContainsKey(from))
            {
                var node = queue.Dequeue();
                foreach (var n in next.GetValueOrDefault(node) ?? [])
                {
                    if (back.TryAdd(n, node)) queue.Enqueue(n);
                }
            }
            if (!back.ContainsKey(from)) continue;
            // from, to, ..., the node before from again.
            var chain = new List<string>();
            for (var n = from; n != to; n = back[n]) chain.Add(n);
            chain.Add(to);
            chain.Reverse();
            var path = new List<string> { from };
            path.AddRange(chain.Take(chain.Count - 1));
            // Rotated to start at the smallest name, to report each cycle once.
            var start = path.IndexOf(path.Min(StringComparer.Ordinal)!);
            var cycle = path.Skip(start).Concat(path.Take(start)).ToList();
            cycle.Add(cycle[0]);
            if (seen.Add(string.Join(" -> ", cycle))) cycles.Add(cycle);
        }
        return cycles;
    }

    private static string Describe(string what, List<List<string>> paths, Dictionary<(string From, string To), SortedSet<string>> graph)
    {
        var text = new StringBuilder().AppendLine($"{paths.Count} {what}:");
        foreach (var path in paths)
        {
            text.AppendLine("  " + string.Join(" -> ", path));
            for (int i = 0; i + 1 < path.Count; i++)
            {
                text.AppendLine($"    {path[i]} -> {path[i + 1]}:");
                var whys = graph[(path[i], path[i + 1])];
                foreach (var why in whys.Take(12)) text.AppendLine("      " + why);
                if (whys.Count > 12) text.AppendLine($"      ... and {whys.Count - 12} more");
            }
        }
        return text.ToString();
    }

    private static string Member(string name) =>
        name.StartsWith('<') ? name[1..name.IndexOf('>')] : name.StartsWith("get_", StringComparison.Ordinal) || name.StartsWith("set_", StringComparison.Ordinal) ? name[4..] : name;

    /// <summary>The types a type's declaration names: base type, interfaces and every member's signature.</summary>
    private static IEnumerable<(string Member, Type Used)> Signatures(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType) yield return ("base", baseType);
        foreach (var i in type.GetInterfaces()) yield return ("interface", i);
        foreach (var f in type.GetFields(all)) yield return (f.Name, f.FieldType);
        foreach (var p in type.GetProperties(all)) yield return (p.Name, p.PropertyType);
        foreach (var e in type.GetEvents(all))
        {
            if (e.EventHandlerType is { } handler) yield return (e.Name, handler);
        }
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (method is MethodInfo info) yield return (method.Name, info.ReturnType);
            foreach (var p in method.GetParameters()) yield return (method.Name, p.ParameterType);
        }
    }

    /// <summary>A type and the types it is made of: element types, generic arguments, declaring types.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.IsGenericParameter) yield break;
        if (type.HasElementType)
        {
            foreach (var t in Expand(type.GetElementType()!)) yield return t;
            yield break;
        }
        yield return type;
        if (type.IsGenericType)
        {
            foreach (var t in type.GetGenericArguments().SelectMany(Expand)) yield return t;
        }
    }

    /// <summary>The namespace of a type of StreamLstm.Core (last segment, or the root), or null for any other type.</summary>
    private static string? Layer(Type type) => type.Assembly == Core && type.Namespace is { } ns ? LayerOf(ns) : null;

    private static string? LayerOf(string ns) =>
        ns == Root ? Root : ns.StartsWith(Prefix, StringComparison.Ordinal) ? ns[Prefix.Length..].Split('.')[0] : null;

    /// <summary>The type itself, or for a compiler-generated closure or state machine the type whose code it is.</summary>
    private static Type Declared(Type type) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute)) && type.DeclaringType is { } outer ? Declared(outer) : type;

    private static string Name(Type type) => type.IsNested ? $"{Name(type.DeclaringType!)}.{type.Name}" : type.Name;

    /// <summary>The .cs files of src/StreamLstm.Core, found from the folder holding StreamLstm.sln above the test's output.</summary>
    private static IEnumerable<string> SourceFiles()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamLstm.sln"))) dir = dir.Parent;
        Assert.True(dir is not null, $"no StreamLstm.sln above {AppContext.BaseDirectory}");
        var core = Path.Combine(dir!.FullName, "src", "StreamLstm.Core");
        return Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(core, f).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                .Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Source text without comments (XML doc comments too) and with string and char literals emptied.</summary>
    private static string Code(string source) => CommentOrLiteral().Replace(source, m =>
        m.Value.StartsWith('/') ? (m.Value.StartsWith("//", StringComparison.Ordinal) ? "" : " ") : "\"\"");

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?StreamLstm\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)+'", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();
}
