using StreamLstm.Model;

namespace StreamLstm.Inference;

/// <summary>
/// One symbol's forecasts in flight and what they taught. When a tick arrives, the forecasts made 1..H ticks earlier
/// for it are resolved: each horizon's interval scale moves so that coverage tracks 80% (adaptive conformal inference
/// on the log scale), and the rolling absolute errors of the model's point and of the naive last price are updated.
/// The skill gate serves the model's point only while its rolling error beats naive's.
/// </summary>
public sealed class ForecastTracker
{
    /// <summary>The miss rate the online calibration steers each horizon's 80% interval to.</summary>
    public const double MissTarget = 0.2;

    /// <summary>
    /// The <c>model</c> tag of forecasts served by the skill gate's naive fallback: the cold-start naive model's id,
    /// since both serve the last price.
    /// </summary>
    public const string NaiveTag = NaiveModel.Id;

    private readonly int _horizons;
    private readonly ServingSettings _settings;
    private readonly double _decay;
    // Ring of the last H forecasts: made-at price, model point, lower and upper per horizon.
    private readonly double[] _madeAt, _modelPoint, _servedPoint, _lower, _upper;
    private readonly bool[] _pending;
    private readonly double[] _logScale, _modelError, _naiveError;
    private readonly string[] _servedBy;
    private readonly ResolvedForecast?[] _resolved;
    private int _next;

    /// <param name="horizons">Horizons forecast per tick.</param>
    /// <param name="settings">Online calibration and skill gate settings.</param>
    /// <param name="score">Optional running score of the served one-tick-ahead forecasts (shared by symbols, one thread).</param>
    public ForecastTracker(int horizons, ServingSettings settings, ForecastScore? score = null)
    {
        Score = score;
        _horizons = horizons;
        _settings = settings;
        _decay = 1.0 / settings.SkillMemory;
        _madeAt = new double[horizons];
        _pending = new bool[horizons];
        _modelPoint = new double[horizons * horizons];
        _servedPoint = new double[horizons * horizons];
        _lower = new double[horizons * horizons];
        _upper = new double[horizons * horizons];
        _servedBy = new string[horizons * horizons];
        _resolved = new ResolvedForecast?[horizons];
        _logScale = new double[horizons];
        _modelError = new double[horizons];
        _naiveError = new double[horizons];
    }

    /// <summary>Running score of the served one-tick-ahead forecasts this tracker adds to (null: none).</summary>
    internal ForecastScore? Score { get; set; }

    /// <summary>Horizons tracked.</summary>
    public int Horizons => _horizons;

    /// <summary>Per horizon, the factor applied to the model's calibrated interval scale.</summary>
    public double ScaleMultiplier(int horizon) => Math.Exp(_logScale[horizon]);

    /// <summary>Per horizon, whether the model's point is served (its rolling error beats naive's by the margin).</summary>
    public bool ModelTrusted(int horizon) =>
        _modelError[horizon] < _naiveError[horizon] * (1 - _settings.SkillMargin) || (_modelError[horizon] == 0 && _naiveError[horizon] == 0);

    /// <summary>
    /// Takes over what <paramref name="other"/> learned (interval scales and rolling errors of model and naive) while
    /// keeping this tracker's forecasts in flight: after a model swap, the new model's skill replayed over the recent
    /// history replaces the old model's.
    /// </summary>
    public void AdoptSkill(ForecastTracker other)
    {
        if (other._horizons != _horizons) throw new ArgumentException($"a tracker of {other._horizons} horizons cannot hand over to one of {_horizons}", nameof(other));
        other._logScale.CopyTo(_logScale, 0);
        other._modelError.CopyTo(_modelError, 0);
        other._naiveError.CopyTo(_naiveError, 0);
    }

    /// <summary>
    /// Resolves the forecasts whose target is this tick: the one made <c>h</c> ticks ago for horizon <c>h</c>, for each h.
    /// Call once per tick, before the tick's own forecast is recorded.
    /// </summary>
    public void Observe(double price)
    {
        for (int h = 1; h <= _horizons; h++)
        {
            _resolved[h - 1] = null;
            int slot = ((_next - h) % _horizons + _horizons) % _horizons;
            if (!_pending[slot]) continue;
            int k = h - 1, at = slot * _horizons + k;
            bool missed = price < _lower[at] || price > _upper[at];
            _resolved[k] = new ResolvedForecast(Math.Abs(price - _servedPoint[at]), Math.Abs(price - _madeAt[slot]), !missed, _servedBy[at],
                Math.Abs(price - _modelPoint[at]), _servedPoint[at], _lower[at], _upper[at]);
            if (k == 0) Score?.Add(_madeAt[slot], _servedPoint[at], _lower[at], _upper[at], price);
            _logScale[k] += _settings.IntervalLearningRate * ((missed ? 1 : 0) - MissTarget);
            _modelError[k] += _decay * (Math.Abs(price - _modelPoint[at]) - _modelError[k]);
            _naiveError[k] += _decay * (Math.Abs(price - _madeAt[slot]) - _naiveError[k]);
        }
        // The slot that now falls out of the ring has been resolved at every horizon.
        _pending[((_next - _horizons) % _horizons + _horizons) % _horizons] = false;
    }

    /// <summary>
    /// The forecast for <paramref name="horizon"/> (0 is one tick ahead) that the last <see cref="Observe"/> resolved,
    /// or null when none was in flight for it.
    /// </summary>
    public ResolvedForecast? Resolved(int horizon) => _resolved[horizon];

    /// <summary>Records that no forecast was made at this tick (a symbol not yet warm).</summary>
    public void Skip()
    {
        _pending[_next] = false;
        _next = (_next + 1) % _horizons;
    }

    /// <summary>
    /// Applies the skill gate to <paramref name="forecast"/> (made at <paramref name="price"/> by model
    /// <paramref name="model"/>) and records it; each horizon is served by <paramref name="model"/> or by <c>naive</c>.
    /// </summary>
    public void Serve(Forecast forecast, double price, string model = "model")
    {
        int slot = _next;
        _madeAt[slot] = price;
        _pending[slot] = true;
        for (int k = 0; k < _horizons; k++)
        {
            int at = slot * _horizons + k;
            _modelPoint[at] = forecast.ModelPoint[k];
            _lower[at] = forecast.Lower[k];
            _upper[at] = forecast.Upper[k];
            bool naive = !ModelTrusted(k);
            forecast.Naive[k] = naive;
            forecast.Point[k] = naive ? price : forecast.ModelPoint[k];
            _servedPoint[at] = forecast.Point[k];
            _servedBy[at] = naive ? NaiveTag : model;
        }
        _next = (_next + 1) % _horizons;
    }

    /// <summary>
    /// Writes the forecasts in flight, interval scales and rolling errors, for a state checkpoint (the forecasts resolved
    /// by the last tick are not kept: they were written with it).
    /// </summary>
    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(_horizons);
        writer.Write(_next);
        for (int slot = 0; slot < _horizons; slot++)
        {
            writer.Write(_pending[slot]);
            writer.Write(_madeAt[slot]);
        }
        for (int at = 0; at < _horizons * _horizons; at++)
        {
            writer.Write(_modelPoint[at]);
            writer.Write(_servedPoint[at]);
            writer.Write(_lower[at]);
            writer.Write(_upper[at]);
            writer.Write(_servedBy[at] ?? "");
        }
        for (int k = 0; k < _horizons; k++)
        {
            writer.Write(_logScale[k]);
            writer.Write(_modelError[k]);
            writer.Write(_naiveError[k]);
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote; false (the tracker left as it was) when it tracked another number of horizons.</summary>
    internal bool ReadFrom(BinaryReader reader)
    {
        if (reader.ReadInt32() != _horizons) return false;
        int next = reader.ReadInt32();
        if ((uint)next >= (uint)_horizons) throw new InvalidDataException($"tracker slot {next} of {_horizons}");
        _next = next;
        for (int slot = 0; slot < _horizons; slot++)
        {
            _pending[slot] = reader.ReadBoolean();
            _madeAt[slot] = reader.ReadDouble();
        }
        for (int at = 0; at < _horizons * _horizons; at++)
        {
            _modelPoint[at] = reader.ReadDouble();
            _servedPoint[at] = reader.ReadDouble();
            _lower[at] = reader.ReadDouble();
            _upper[at] = reader.ReadDouble();
            var servedBy = reader.ReadString();
            _servedBy[at] = servedBy.Length == 0 ? null! : servedBy;
        }
        for (int k = 0; k < _horizons; k++)
        {
            _logScale[k] = reader.ReadDouble();
            _modelError[k] = reader.ReadDouble();
            _naiveError[k] = reader.ReadDouble();
        }
        Array.Clear(_resolved);
        return true;
    }
}
