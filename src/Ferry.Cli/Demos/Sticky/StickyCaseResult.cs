namespace Ferry.Cli.Demos.Sticky;

/// <summary>What one demo case did, what it saw, and whether the effect it claims actually happened.</summary>
internal sealed record StickyCaseResult(
    string Name,
    string Title,
    string Arranged,
    IReadOnlyList<StickyStep> Steps,
    bool EffectObserved,
    string Verdict,
    SlowFixMeasurement? Measurement = null);
