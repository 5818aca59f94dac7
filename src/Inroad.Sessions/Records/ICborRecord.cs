using System.Formats.Cbor;

namespace Inroad.Sessions.Records;

/// <summary>
/// A message carried as a record: an int-keyed canonical CBOR map. Implementations write their fields with the
/// <see cref="CborFieldExtensions"/> helpers (zero values omitted) and read them with a loop over keys that skips
/// unknown keys.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ICborRecord<TSelf>
    where TSelf : ICborRecord<TSelf>
{
    /// <summary>The record type byte.</summary>
    static abstract RecordType RecordType { get; }

    /// <summary>Writes the map (start and end included).</summary>
    void WriteCbor(CborWriter writer);

    /// <summary>Reads the map. May throw <see cref="CborContentException"/> or <see cref="InvalidOperationException"/>, which <see cref="CborRecords"/> turns into false.</summary>
    static abstract bool TryReadCbor(CborReader reader, out TSelf? value);
}
