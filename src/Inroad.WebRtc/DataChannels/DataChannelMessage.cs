namespace Inroad.WebRtc.DataChannels;

/// <summary>What <see cref="DataChannel.ReceiveAsync"/> put in the caller's buffer.</summary>
/// <param name="Count">Bytes written; 0 with <paramref name="EndOfChannel"/> when the channel closed.</param>
/// <param name="IsString">The sender marked the message as text (PPID 51/56).</param>
/// <param name="Truncated">The message was longer than the buffer; the rest was discarded.</param>
/// <param name="EndOfChannel">No more messages will come.</param>
internal readonly record struct DataChannelMessage(int Count, bool IsString, bool Truncated, bool EndOfChannel);
