using TorchSharp;

namespace StreamLstm.Model;

/// <summary>
/// What the worker serves before it has any model (an empty store: cold start): the last price as the point forecast,
/// and an 80% interval of +/- 1.2816 recent volatilities (sigma * sqrt(h), the normal 10%/90% quantiles), adapted online
/// per symbol like any model's. It is a network whose weights are all zero, so the same per-tick path serves it and a
/// trained model takes over from it by the ordinary hot swap. Every forecast it makes is tagged <c>naive</c>.
/// </summary>
public static class NaiveModel
{
    /// <summary>The version id, and the <c>model</c> tag of its forecasts.</summary>
    public const string Id = "naive";

    /// <summary>The 90% quantile of the standard normal distribution.</summary>
    public const double Quantile90 = 1.2815515655446004;

    /// <summary>Whether <paramref name="model"/> is the cold-start naive model.</summary>
    public static bool Is(ModelVersion model) => model.Id == Id;

    /// <summary>The naive model with the shape of <paramref name="settings"/> (its horizons, window and warm-up).</summary>
    public static ModelVersion Create(ModelSettings settings)
    {
        settings.Validate();
        var network = new LstmForecaster(settings);
        using (torch.no_grad())
        {
            foreach (var parameter in network.parameters()) parameter.zero_();
        }
        network.eval();
        // Zero outputs: median 0 (shrunk to the last price anyway), quantile distances softplus(0) = ln 2.
        var scale = Quantile90 / Math.Log(2);
        var calibration = new Calibration(new double[settings.Horizons], Enumerable.Repeat(scale, settings.Horizons).ToArray());
        return new ModelVersion(network, new ModelConfiguration(settings, calibration), new ModelMetadata { Version = Id, Source = "cold start: no model trained yet" });
    }
}
