var x: u32;
x = 1;
