// What released ASP.NET Web API 2 does and Mono's pre-release snapshot of Web API 4.0 does not, ported
// in as few lines as possible so the stand-in answers as a real deployment does.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Formatting;
using System.Threading;
using System.Threading.Tasks;
using System.Web.Http;
using System.Web.Http.Dispatcher;
using System.Web.Http.ModelBinding;

namespace QFlow.StandIn
{
    public static class Released
    {
        // System.Web.Http.HttpError's messages (Web API 2, ErrorResources.resx).
        public const string RequestInvalid = "The request is invalid.";
        public const string ErrorOccurred = "An error has occurred.";
        public const string UnsupportedMediaType = "The request entity's media type '{0}' is not supported for this resource.";
        public const string UnsupportedMediaTypeNoContentType = "The request contains an entity body but no Content-Type header. The inferred media type '{0}' is not supported for this resource.";
        // The snapshot's InvalidOperationException where Web API 2 throws UnsupportedMediaTypeException (same text).
        public const string NoReader = "No MediaTypeFormatter is available to read an object of type";

        /// <summary>Web API 2's Request.CreateErrorResponse(status, message): {"Message": message}.</summary>
        public static HttpResponseMessage CreateErrorResponse(HttpRequestMessage request, HttpStatusCode status, string message)
        {
            var error = new Dictionary<string, object> { { "Message", message } };
            return request.CreateResponse(status, error);
        }

        /// <summary>Web API 2's Request.CreateErrorResponse(status, message, exception) as a local client sees it.</summary>
        public static HttpResponseMessage CreateErrorResponse(HttpRequestMessage request, HttpStatusCode status, string message, ExceptionSurrogate exception)
        {
            var error = new Dictionary<string, object>
            {
                { "Message", message },
                { "ExceptionMessage", exception.Message },
                { "ExceptionType", exception.ExceptionType },
                { "StackTrace", exception.StackTrace },
            };
            return request.CreateResponse(status, error);
        }

        /// <summary>Web API 2's Request.CreateErrorResponse(status, ModelState), i.e. new HttpError(modelState,
        /// includeErrorDetail): {"Message": "The request is invalid.", "ModelState": {key: [messages]}}, a key
        /// per property with errors, an error without a message shown by its exception's message (the
        /// detail a local request sees, as IncludeErrorDetailPolicy.LocalOnly shows the stand-in's callers).</summary>
        public static HttpResponseMessage CreateErrorResponse(HttpRequestMessage request, HttpStatusCode status, ModelStateDictionary modelState)
        {
            var state = new Dictionary<string, string[]>();
            foreach (var entry in modelState.Where(e => e.Value.Errors.Count > 0))
            {
                state[entry.Key] = entry.Value.Errors
                    .Select(e => !string.IsNullOrEmpty(e.ErrorMessage) ? e.ErrorMessage : e.Exception != null ? e.Exception.Message : ErrorOccurred)
                    .ToArray();
            }
            var error = new Dictionary<string, object> { { "Message", RequestInvalid }, { "ModelState", state } };
            return request.CreateResponse(status, error);
        }
    }

    /// <summary>Rewrites the snapshot's error answers into Web API 2's (first in MessageHandlers).</summary>
    public class ReleasedErrorsHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var content = response.Content as ObjectContent;
            if (response.IsSuccessStatusCode || content == null)
            {
                return response;
            }
            var message = content.Value as string;
            if (message != null)
            {
                // The snapshot answers an HttpResponseException of the framework's own (a null for a
                // non-nullable action parameter, `idType=`) with a bare JSON string; Web API 2 with an HttpError.
                return Released.CreateErrorResponse(request, response.StatusCode, message);
            }
            var exception = content.Value as ExceptionSurrogate;
            if (exception == null)
            {
                return response;
            }
            if (exception.ExceptionType == typeof(InvalidOperationException).FullName && exception.Message.StartsWith(Released.NoReader))
            {
                // Web API 2's FormatterParameterBinding turns "no formatter reads this media type" into 415.
                var type = request.Content.Headers.ContentType;
                string text = type == null
                    ? string.Format(Released.UnsupportedMediaTypeNoContentType, "application/octet-stream")
                    : string.Format(Released.UnsupportedMediaType, type.MediaType);
                return Released.CreateErrorResponse(request, HttpStatusCode.UnsupportedMediaType, text, exception);
            }
            // Any other exception: Web API 2's HttpError for a local client (IncludeErrorDetailPolicy.LocalOnly).
            return Released.CreateErrorResponse(request, response.StatusCode, Released.ErrorOccurred, exception);
        }
    }
}
