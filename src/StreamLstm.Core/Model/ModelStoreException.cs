namespace StreamLstm.Model;

/// <summary>A model store or version that cannot be used; the message is one line naming the store, version or file.</summary>
public class ModelStoreException(string message, Exception? inner = null) : Exception(message, inner);
