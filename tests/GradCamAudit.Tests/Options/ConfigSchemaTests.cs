using System.Globalization;
using System.Text.Json.Nodes;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Xunit;

namespace GradCamAudit.Tests.Options;

/// <summary>The JSON schema under configs/ and the loader agree (keys, types, defaults, ranges); overrides apply before validation.</summary>
[Collection(TorchCollection.Name)]
public sealed class ConfigSchemaTests
{
    private static string SchemaPath => Path.Combine(TestPaths.Configs, "gradcam-audit.schema.json");

    private static Dictionary<string, JsonObject> SchemaKeys()
    {
        var keys = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        void Walk(JsonObject node, string prefix)
        {
            foreach ((string name, JsonNode? child) in node["properties"]!.AsObject())
            {
                keys[prefix + name] = child!.AsObject();
                if (child!["properties"] != null)
                {
                    Walk(child.AsObject(), prefix + name + ".");
                }
            }
        }
        Walk(JsonNode.Parse(File.ReadAllText(SchemaPath))!.AsObject(), "");
        return keys;
    }

    [Fact]
    public void SchemaAndLoader_HaveTheSameKeysTypesDefaultsAndRanges()
    {
        var recorded = new List<ConfigKey>();
        AuditConfig.Load(Path.Combine(TestPaths.Configs, "demo.json"), recorder: recorded);
        var schema = SchemaKeys();
        Assert.Equal(schema.Keys.Order(StringComparer.Ordinal), recorded.Select(k => k.Path).Order(StringComparer.Ordinal));
        foreach (ConfigKey key in recorded)
        {
            JsonObject s = schema[key.Path];
            string? schemaType = s["type"] is JsonArray types ? string.Join("|", types.Select(t => (string?)t)) : (string?)s["type"];
            Assert.True(schemaType == key.Type, $"{key.Path}: schema type {schemaType}, loader reads {key.Type}");
            if (s["default"] is JsonValue d && key.Default != null)
            {
                string expected = key.Default is bool flag ? (flag ? "true" : "false") : Convert.ToString(key.Default, CultureInfo.InvariantCulture)!;
                string actual = d.TryGetValue(out double number) ? number.ToString(CultureInfo.InvariantCulture) : d.ToString();
                Assert.True(expected == actual, $"{key.Path}: schema default {actual}, loader default {expected}");
            }
            if (key.Minimum != null)
            {
                Assert.True((double?)s["minimum"] == key.Minimum, $"{key.Path}: schema minimum {s["minimum"]}, loader {key.Minimum}");
                Assert.True((double?)s["maximum"] == key.Maximum, $"{key.Path}: schema maximum {s["maximum"]}, loader {key.Maximum}");
            }
        }
    }

    [Fact]
    public void EveryShippedConfig_ReferencesTheSchema()
    {
        foreach (string config in Directory.EnumerateFiles(TestPaths.Configs, "*.json", SearchOption.AllDirectories).Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal)))
        {
            var node = JsonNode.Parse(File.ReadAllText(config), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
            string? reference = (string?)node["$schema"];
            Assert.True(reference != null, $"{config} has no $schema");
            Assert.Equal(SchemaPath, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(config)!, reference)));
        }
    }

    [Fact]
    public void SetAndEnvironmentOverrides_ApplyBeforeValidation_SetWins()
    {
        string demo = Path.Combine(TestPaths.Configs, "demo.json");
        var env = new Dictionary<string, string>
        {
            ["GRADCAM_AUDIT__audit__batchSize"] = "8",
            ["GRADCAM_AUDIT__audit__device"] = "cpu",
            ["UNRELATED"] = "x",
        };
        AuditOptions o = AuditConfig.Load(demo, null, ["audit.batchSize=64", "name=nightly", "dataset.classes=[\"a\",\"b\",\"c\",\"d\"]", "report.galleryMax=5"], env);
        Assert.Equal(64, o.Audit.BatchSize);
        Assert.Equal("cpu", o.Audit.Device);
        Assert.Equal("nightly", o.Name);
        Assert.Equal(["a", "b", "c", "d"], o.Dataset.Classes);
        Assert.Equal(5, o.Report.GalleryMax);

        var ex = Assert.Throws<ConfigException>(() => AuditConfig.Load(demo, null, ["audit.batchSze=64", "audit.batchSize=0", "nokey"], env));
        Assert.Contains("audit.batchSze: unknown key", ex.Message, StringComparison.Ordinal);
        Assert.Contains("audit.batchSize: 0 is out of range", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--set nokey", ex.Message, StringComparison.Ordinal);
    }
}
