// qflow-aspnet-standin: a QFlow Customers API on Mono's ASP.NET Web API, for the project's tests.
//   mono standin.exe --seed FILE [--host 127.0.0.1] [--port N]   (--port 0, the default, picks a free port)
// Prints "qflow-aspnet-standin: serving on http://HOST:PORT/API (UTC offset +10:00)" once listening.
using System;
using System.Net;
using System.Net.Sockets;
using System.Web.Http;

namespace QFlow.StandIn
{
    public static class Program
    {
        public static int Main(string[] args)
        {
            string seed = null, host = "127.0.0.1";
            int port = 0;
            for (int i = 0; i < args.Length; i++)
            {
                string value = i + 1 < args.Length ? args[i + 1] : null;
                if (args[i] == "--seed" && value != null) { seed = value; i++; }
                else if (args[i] == "--host" && value != null) { host = value; i++; }
                else if (args[i] == "--port" && value != null && int.TryParse(value, out port) && port >= 0 && port < 65536) { i++; }
                else
                {
                    Console.Error.WriteLine("qflow-aspnet-standin: usage: standin.exe --seed FILE [--host H] [--port N]");
                    return 2;
                }
            }
            if (seed == null)
            {
                Console.Error.WriteLine("qflow-aspnet-standin: --seed FILE is required");
                return 2;
            }
            try
            {
                CustomerStore.Shared = CustomerStore.Load(seed);
            }
            catch (Exception error)
            {
                Console.Error.WriteLine("qflow-aspnet-standin: cannot read the seed " + seed + ": " + error.Message);
                return 2;
            }
            var server = new HttpServer(WebApiConfig.Create());
            // A given port is taken or not; for --port 0 a free port is probed, and probed again should
            // another process take it before the listener binds it.
            ListenerHost listening = null;
            int attempts = port != 0 ? 1 : 20;
            for (int attempt = 0; attempt < attempts && listening == null; attempt++)
            {
                int chosen = port != 0 ? port : FreePort(host);
                var candidate = new ListenerHost(server, host, chosen);
                try
                {
                    candidate.Start();
                    listening = candidate;
                    port = chosen;
                }
                catch (Exception error) when (error is HttpListenerException || error is SocketException)
                {
                    // Mono's HttpListener throws the socket's own exception for a port in use
                    Console.Error.WriteLine("qflow-aspnet-standin: cannot listen on " + host + ":" + chosen + ": " + error.Message);
                }
            }
            if (listening == null)
            {
                return 2;
            }
            var offset = TimeZoneInfo.Local.GetUtcOffset(DateTime.Now);
            string sign = offset < TimeSpan.Zero ? "-" : "+";
            Console.WriteLine("qflow-aspnet-standin: serving on http://" + host + ":" + port + "/API (UTC offset " + sign + offset.ToString(@"hh\:mm") + ")");
            Console.Out.Flush();
            listening.RunAsync().GetAwaiter().GetResult();
            return 0;
        }

        private static int FreePort(string host)
        {
            var probe = new TcpListener(IPAddress.Parse(host), 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }
    }
}
