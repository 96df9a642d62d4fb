// The HttpConfiguration, as a Web API project's App_Start/WebApiConfig.cs sets it up.
using System.Web.Http;
using Newtonsoft.Json.Serialization;

namespace QFlow.StandIn
{
    public static class WebApiConfig
    {
        public static HttpConfiguration Create()
        {
            var config = new HttpConfiguration();
            // The API lives under /API (its help pages under /API/Help).
            config.Routes.MapHttpRoute("Customers", "API/{controller}/{id}", new { id = RouteParameter.Optional });
            // Request and response formats of the help pages: JSON, text/json and forms; no XML.
            config.Formatters.Remove(config.Formatters.XmlFormatter);
            // Port of released Web API 2: its JsonContractResolver keeps Json.NET's defaults and writes every
            // property, null, 0 and false included. The snapshot's marks every member without [Required]
            // NullValueHandling.Ignore and DefaultValueHandling.Ignore, so an answer would drop them.
            config.Formatters.JsonFormatter.SerializerSettings.ContractResolver = new DefaultContractResolver();
            // Ports of released Web API 2 where the snapshot's error answers differ (Released.cs).
            config.MessageHandlers.Add(new ReleasedErrorsHandler());
            return config;
        }
    }
}
