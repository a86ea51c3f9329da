using System.Runtime.InteropServices;
using GradCamAudit.Options;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// A model exported from PyTorch as two TorchScript files (the documented export contract): a <c>trunk</c> from the
/// input to the target layer's activations, and a <c>head</c> from those activations to the logits. The target
/// layer is the trunk's output (module path <c>trunk</c>); the head is the only part differentiated.
/// </summary>
public sealed class TorchScriptModel : nn.Module<Tensor, Tensor>
{
    public const string ArchitectureName = ConfigVocabulary.TorchScript;
    public const string TargetPath = "trunk";

    private readonly Part trunk;
    private readonly Part head;
    private readonly jit.ScriptModule<Tensor, Tensor> trunkScript;
    private readonly jit.ScriptModule<Tensor, Tensor> headScript;

    private TorchScriptModel(jit.ScriptModule<Tensor, Tensor> trunk, jit.ScriptModule<Tensor, Tensor> head)
        : base(nameof(TorchScriptModel))
    {
        trunkScript = trunk;
        headScript = head;
        this.trunk = new Part(trunk);
        this.head = new Part(head);
        RegisterComponents();
    }

    /// <summary>The trunk as a hookable module: its output is the target layer's activations.</summary>
    public nn.Module<Tensor, Tensor> Trunk => trunk;

    public static TorchScriptModel Load(string trunkPath, string headPath)
    {
        jit.ScriptModule<Tensor, Tensor> Read(string path, string what)
        {
            try
            {
                return jit.load<Tensor, Tensor>(path);
            }
            catch (Exception ex) when (ex is ExternalException or ArgumentException or IOException)
            {
                throw new ConfigException($"model.{what}: '{path}' is not a loadable TorchScript file: {FirstLine(ex.Message)}");
            }
        }
        if (InferenceOnlyOp(headPath) is string op)
        {
            throw new ConfigException($"model.head: '{headPath}' calls {op}, PyTorch's inference fast path, which has no gradient: the head was traced with gradients off " +
                "(under torch.no_grad() or inference_mode, where nn.MultiheadAttention and nn.TransformerEncoderLayer take it). Trace the head with gradients on, as src/export/export_trunk_head.py does");
        }
        return new TorchScriptModel(Read(trunkPath, "weights"), Read(headPath, "head"));
    }

    /// <summary>The fused inference-only operators whose backward is an error node in LibTorch (it aborts the process, no exception).</summary>
    private static readonly string[] InferenceOnlyOps = ["_native_multi_head_attention", "_transformer_encoder_layer_fwd", "_native_decoder_only_multi_head_attention"];

    /// <summary>
    /// The first inference-only operator named in the TorchScript archive's code (the <c>code/*.py</c> entries of the
    /// zip, a few kB each; entries over 4 MB and archives that are not zips are left to the loader), or null.
    /// </summary>
    private static string? InferenceOnlyOp(string path)
    {
        try
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries.Where(e => e.FullName.Contains("/code/", StringComparison.Ordinal) && e.FullName.EndsWith(".py", StringComparison.Ordinal) && e.Length < (4 << 20)))
            {
                using var reader = new StreamReader(entry.Open());
                string code = reader.ReadToEnd();
                if (InferenceOnlyOps.FirstOrDefault(op => code.Contains(op, StringComparison.Ordinal)) is string op)
                {
                    return op;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Not a zip (or unreadable): jit.load reports it.
        }
        return null;
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.call(trunk.call(input)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Disposes the two script modules directly. The base implementation walks <c>named_modules()</c> lazily and
    /// would re-enter a script module it has already disposed (ObjectDisposedException in TorchSharp 0.107), so it
    /// is not called; the two small managed wrapper handles are left to the finaliser.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            trunkScript.Dispose();
            headScript.Dispose();
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    /// <summary>A C# module around a script module, so forward hooks fire on it and it has a path in the model tree.</summary>
    private sealed class Part : nn.Module<Tensor, Tensor>
    {
        private readonly jit.ScriptModule<Tensor, Tensor> module;

        public Part(jit.ScriptModule<Tensor, Tensor> module)
            : base(nameof(Part))
        {
            this.module = module;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => module.call(input);
    }
}
