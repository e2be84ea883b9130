console.log(JSON.stringify({argv: process.argv.slice(2), cwd: process.cwd(), init: process.env.INIT_CWD}))
