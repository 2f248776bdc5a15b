/** What `simulate` needs to write its page, in one module so the command can import it lazily. */
export {renderPage} from './page.js'
export {simulationPage} from './simulate-page.js'
export {checkHtmlOutput, writeHtml} from './write.js'
