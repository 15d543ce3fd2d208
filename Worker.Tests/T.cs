namespace Worker.Tests; public class T { [Fact] public void A(){} }
