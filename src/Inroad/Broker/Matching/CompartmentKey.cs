using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>A compartment: its family and ID. <see cref="Id32.ToString"/> keeps personal IDs out of logs.</summary>
internal readonly record struct CompartmentKey(CompartmentKind Kind, Id32 Id);
