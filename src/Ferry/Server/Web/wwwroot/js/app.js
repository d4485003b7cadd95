// Ferry web page
