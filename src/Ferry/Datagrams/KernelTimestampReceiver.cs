using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ferry.Datagrams;

/// <summary>
/// Receives datagrams with the kernel's own arrival time (Linux SO_TIMESTAMPNS through recvmsg), taken when the
/// packet reached the socket rather than when a busy thread got round to reading it: under load a request can
/// wait hundreds of microseconds in the socket queue, and a user-space receive timestamp would count that wait
/// as network delay on one side only, skewing the offset. Blocking calls; one thread per receiver.
/// </summary>
public sealed unsafe partial class KernelTimestampReceiver : IDisposable
{
    private const int SolSocket = 1;
    private const int SoReceiveTimeout = 20;
    private const int SoTimestampNs = 35;
    private const int EAGAIN = 11;
    private const int EINTR = 4;
    private const long UnixToNtpSeconds = 2_208_988_800;

    private readonly Socket _socket;
    private readonly nint _fd;
    private bool _addedRef;

    private KernelTimestampReceiver(Socket socket)
    {
        _socket = socket;
        // Keeps the descriptor number ours until Dispose, even if the socket is closed meanwhile.
        socket.SafeHandle.DangerousAddRef(ref _addedRef);
        _fd = socket.SafeHandle.DangerousGetHandle();
    }

    /// <summary>A receiver for <paramref name="socket"/>, or null where kernel timestamps are not available.</summary>
    public static KernelTimestampReceiver? TryCreate(Socket socket, TimeSpan receiveTimeout)
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8 || !socket.Blocking) return null;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            Span<long> timeval = [(long)receiveTimeout.TotalSeconds, receiveTimeout.Microseconds + receiveTimeout.Milliseconds * 1000L];
            socket.SetRawSocketOption(SolSocket, SoReceiveTimeout, MemoryMarshal.AsBytes(timeval));
            return new KernelTimestampReceiver(socket);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits for one datagram (up to the receive timeout). Returns its length, or a negative errno: −EAGAIN when
    /// the timeout passed. <paramref name="arrival"/> is the kernel's arrival time, or zero if it gave none.
    /// </summary>
    public int Receive(Span<byte> buffer, SocketAddress? source, out NtpTimestamp arrival)
    {
        arrival = default;
        Span<byte> control = stackalloc byte[128];
        Span<byte> noName = stackalloc byte[1];
        Span<byte> name = source is null ? noName : source.Buffer.Span;
        fixed (byte* data = buffer)
        fixed (byte* namePointer = name)
        fixed (byte* controlPointer = control)
        {
            var vector = new IoVector { Base = data, Length = (nuint)buffer.Length };
            var message = new MessageHeader
            {
                Name = source is null ? null : namePointer,
                NameLength = source is null ? 0u : (uint)name.Length,
                Vector = &vector,
                VectorLength = 1,
                Control = controlPointer,
                ControlLength = (nuint)control.Length,
            };
            nint received = recvmsg(_fd, &message, 0);
            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == EINTR ? -EAGAIN : -errno;
            }
            if (source is not null) source.Size = (int)message.NameLength;
            // struct cmsghdr on 64-bit Linux: size_t len, int level, int type, then the data at offset 16.
            nuint offset = 0;
            while (offset + 16 <= message.ControlLength)
            {
                byte* header = controlPointer + offset;
                nuint length = *(nuint*)header;
                if (length < 16) break;
                if (*(int*)(header + 8) == SolSocket && *(int*)(header + 12) == SoTimestampNs && length >= 32)
                {
                    long seconds = *(long*)(header + 16);
                    long nanoseconds = *(long*)(header + 24);
                    arrival = FromUnix(seconds, nanoseconds);
                }
                offset += (length + 7) & ~(nuint)7;
            }
            return (int)received;
        }
    }

    internal static NtpTimestamp FromUnix(long seconds, long nanoseconds) =>
        new(unchecked(((ulong)(seconds + UnixToNtpSeconds) << 32) + (ulong)(((UInt128)(ulong)nanoseconds << 32) / 1_000_000_000)));

    /// <summary>Releases the socket reference taken at creation; the socket itself stays open.</summary>
    public void Dispose()
    {
        if (_addedRef)
        {
            _addedRef = false;
            _socket.SafeHandle.DangerousRelease();
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(nint socket, MessageHeader* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVector* Vector;
        public nuint VectorLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
