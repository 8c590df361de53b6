global using Xunit;
global using LiveCommerce.Contracts.Common;
