using NetArchTest.Rules;
using Xunit;
using Xunit.Abstractions;

namespace GradCamAudit.Tests.Architecture;

/// <summary>
/// The library's folders (namespaces GradCamAudit.X) and the edges between them, read from the compiled assembly
/// (NetArchTest over Mono.Cecil: every type reference, not the <c>using</c> lines). The allowed edges are pinned: a new
/// edge fails the test, and so does removing one without removing it here, so the knot can only get smaller.
/// </summary>
public sealed class LayerTests(ITestOutputHelper output)
{
    private static readonly string[] Folders =
        ["Options", "Data", "Modeling", "Explain", "Scoring", "Pipeline", "Results", "Findings", "Reporting", "Gates", "Benchmarks", "Demo"];

    /// <summary>
    /// Today's edges, from → to. Cut so far: Data → Pipeline (the decoder port lives with Data), Results → Data
    /// (<c>SampleError</c> lives with Results), Findings → Reporting (the results reader and its row live with Results),
    /// Options → Gates (the acknowledge list is a config input and lives with Options), Gates → Reporting (the caller
    /// renders the report after the gates, and passes the persisted rates in), Options → Modeling and Options → Explain
    /// (the loader gets the architecture and method names as data from <c>Pipeline.AuditConfig</c>; the target and
    /// sample-size grammars are config contracts in Options). No edge is two-way.
    /// </summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Options"] = ["Scoring"],
        ["Data"] = ["Options", "Results"],
        ["Modeling"] = ["Options"],
        ["Explain"] = ["Modeling", "Options"],
        ["Scoring"] = [],
        ["Pipeline"] = ["Data", "Explain", "Modeling", "Options", "Reporting", "Results", "Scoring"],
        ["Results"] = ["Options", "Scoring"],
        ["Findings"] = ["Explain", "Options", "Results", "Scoring"],
        ["Reporting"] = ["Data", "Findings", "Gates", "Options", "Results"],
        ["Gates"] = ["Findings", "Options", "Results"],
        ["Benchmarks"] = ["Data", "Demo", "Explain", "Findings", "Modeling", "Options", "Pipeline", "Results", "Scoring"],
        ["Demo"] = ["Data", "Modeling", "Scoring"],
    };

    private static Dictionary<string, SortedSet<string>> Edges()
    {
        Types types = Types.InAssembly(typeof(GradCamAudit.Options.AuditOptions).Assembly);
        var edges = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string from in Folders)
        {
            edges[from] = [];
            foreach (string to in Folders.Where(f => f != from))
            {
                bool independent = types.That().ResideInNamespace("GradCamAudit." + from + ".").Or().ResideInNamespaceMatching("^GradCamAudit\\." + from + "$")
                    .ShouldNot().HaveDependencyOn("GradCamAudit." + to).GetResult().IsSuccessful;
                if (!independent)
                {
                    edges[from].Add(to);
                }
            }
        }
        return edges;
    }

    [Fact]
    public void FolderEdges_AreThePinnedOnes()
    {
        var edges = Edges();
        foreach ((string from, SortedSet<string> to) in edges)
        {
            output.WriteLine($"[\"{from}\"] = [{string.Join(", ", to.Select(t => $"\"{t}\""))}],");
        }
        foreach (string from in Folders)
        {
            Assert.Equal(Allowed[from].Order(StringComparer.Ordinal), edges[from]);
        }
        // Scoring (pure math) is a sink; nothing but the benchmarks reaches the benchmarks or the demo's trainer.
        Assert.Empty(edges["Scoring"]);
        Assert.All(Folders.Where(f => f is not "Benchmarks" and not "Demo"), f => Assert.DoesNotContain("Benchmarks", edges[f]));
        Assert.All(Folders.Where(f => f is not "Benchmarks" and not "Demo"), f => Assert.DoesNotContain("Demo", edges[f]));
        var twoWay = Folders.SelectMany(a => edges[a].Where(b => string.CompareOrdinal(a, b) < 0 && edges[b].Contains(a)).Select(b => $"{a} <-> {b}")).ToList();
        Assert.Empty(twoWay);
    }
}
