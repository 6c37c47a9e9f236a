namespace StreamLstm.Learning;

/// <summary>Progress of training after one epoch.</summary>
/// <param name="Epoch">Epochs done (1-based).</param>
/// <param name="MaxEpochs">The most epochs training will run.</param>
/// <param name="TrainLoss">Mean pinball loss over the epoch's training windows.</param>
/// <param name="ValidationLoss">Pinball loss on the validation split, run statefully.</param>
/// <param name="BestValidationLoss">Best validation loss so far.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record EpochReport(int Epoch, int MaxEpochs, double TrainLoss, double ValidationLoss, double BestValidationLoss, TimeSpan Elapsed);
