global using Microsoft.Extensions.Configuration;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using Orleans;
global using Orleans.Runtime;
global using LiveCommerce.Contracts.Common;
global using LiveCommerce.Contracts;
