// Feeds the framework's own HttpServer from System.Net.HttpListener: Mono's HttpSelfHostServer hangs
// on PATCH, so each HttpListenerContext becomes an HttpRequestMessage for HttpServer, and its
// HttpResponseMessage is copied back to the listener's response.
using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using System.Web.Http;

namespace QFlow.StandIn
{
    public class ListenerHost
    {
        private readonly HttpListener listener;
        private readonly HttpMessageInvoker invoker;
        private readonly string origin;

        public ListenerHost(HttpServer server, string host, int port)
        {
            origin = "http://" + host + ":" + port;
            listener = new HttpListener();
            listener.Prefixes.Add(origin + "/");
            if (host == "127.0.0.1")
            {
                listener.Prefixes.Add("http://localhost:" + port + "/"); // the same socket, under its name
            }
            invoker = new HttpMessageInvoker(server);
        }

        /// <summary>Start listening (throws HttpListenerException when the port is taken).</summary>
        public void Start()
        {
            listener.Start();
        }

        /// <summary>Serve requests until the process ends, each on its own task.</summary>
        public async Task RunAsync()
        {
            while (true)
            {
                var context = await listener.GetContextAsync();
                // One request at a time: with requests on tasks side by side, Mono's pre-release
                // Web API snapshot answered a GET of one customer with another customer's record
                // about one run in three (seen as a rule 3 finding); released Web API has no such bug.
                await HandleAsync(context);
            }
        }

        private async Task HandleAsync(HttpListenerContext context)
        {
            try
            {
                using (var request = await ToRequestAsync(context.Request))
                using (var response = await invoker.SendAsync(request, CancellationToken.None))
                {
                    await CopyAsync(response, context.Response);
                }
            }
            catch (Exception error)
            {
                Console.Error.WriteLine("qflow-aspnet-standin: " + error);
                try
                {
                    context.Response.StatusCode = 500;
                    context.Response.Close();
                }
                catch (Exception)
                {
                    // the connection is gone
                }
            }
        }

        private async Task<HttpRequestMessage> ToRequestAsync(HttpListenerRequest incoming)
        {
            // RawUrl keeps the path and query as the client encoded them.
            var request = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), new Uri(origin + incoming.RawUrl));
            var body = new MemoryStream();
            await incoming.InputStream.CopyToAsync(body);
            body.Position = 0;
            var content = new StreamContent(body);
            foreach (var name in incoming.Headers.AllKeys)
            {
                var values = incoming.Headers.GetValues(name);
                if (!request.Headers.TryAddWithoutValidation(name, values))
                {
                    content.Headers.TryAddWithoutValidation(name, values);
                }
            }
            if (body.Length > 0 || incoming.Headers["Content-Type"] != null)
            {
                request.Content = content;
            }
            return request;
        }

        private static async Task CopyAsync(HttpResponseMessage response, HttpListenerResponse outgoing)
        {
            outgoing.StatusCode = (int)response.StatusCode;
            byte[] body = new byte[0];
            if (response.Content != null)
            {
                body = await response.Content.ReadAsByteArrayAsync();
                foreach (var header in response.Content.Headers)
                {
                    if (header.Key == "Content-Length") continue;
                    if (header.Key == "Content-Type") outgoing.ContentType = string.Join(", ", header.Value);
                    else outgoing.Headers.Add(header.Key, string.Join(", ", header.Value));
                }
            }
            foreach (var header in response.Headers)
            {
                if (header.Key == "Transfer-Encoding" || header.Key == "Connection") continue;
                outgoing.Headers.Add(header.Key, string.Join(", ", header.Value));
            }
            outgoing.ContentLength64 = body.Length;
            await outgoing.OutputStream.WriteAsync(body, 0, body.Length);
            outgoing.Close();
        }
    }
}
