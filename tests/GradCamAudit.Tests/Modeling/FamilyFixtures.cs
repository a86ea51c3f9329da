namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Runs fixtures/families/make_family_fixtures.py (Debian's python3-torch 1.13, torchvision 0.14) once into a
/// temporary folder keyed by the script's hash (about 100 MB of state_dicts, not committed; about 6 s cold).
/// </summary>
public sealed class FamilyFixtures
{
    public FamilyFixtures() => Directory = PythonFixtures.Make(Path.Combine(TestPaths.Fixtures, "families", "make_family_fixtures.py"), "gca-family-fixtures");

    public string Directory { get; }

    public string File_(string name) => Path.Combine(Directory, name);
}
