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
        return new TorchScriptModel(Read(trunkPath, "weights"), Read(headPath, "head"));
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
