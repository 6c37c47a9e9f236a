namespace StreamLstm.IntegrationTests.Fixtures;

/// <summary>One sample of a PromQL result: the evaluation or scrape time and the value (NaN and infinities as Prometheus gave them).</summary>
internal readonly record struct PrometheusSample(DateTimeOffset Time, double Value);
